/** Browser tests use Debian's chromium; where none is installed they skip and say why. */
import { CHROMIUM_CANDIDATES, findChromium } from '../../../local/console/chromium.ts';

export {
  CHROMIUM_FLAGS,
  findChromium,
  launchChromium as launchBrowser,
} from '../../../local/console/chromium.ts';

/** Why browser tests skip here, or false when a browser is installed. */
export function browserSkipReason(): string | false {
  if (findChromium()) return false;
  const where = process.env.CHROMIUM_PATH ?? CHROMIUM_CANDIDATES.join(', ');
  const reason = `no chromium at ${where}: apt-get install -y chromium`;
  process.stdout.write(`# browser tests skipped: ${reason}\n`);
  return reason;
}
