/**
 * AWS service limits the compiler checks before anything is deployed, each with where it is
 * documented, so a workflow that would fail at `cdk deploy` (or at its first execution) fails at
 * `npm run asl` and `npx cdk synth` instead, with a `file:line` diagnostic.
 */

/** ASL: a state name is at most 80 Unicode characters. */
export const MAX_STATE_NAME_LENGTH = 80;

/** Step Functions quota "Maximum state machine definition size": 1 MB (UTF-8 bytes). */
export const MAX_DEFINITION_BYTES = 1_048_576;

/** A definition this share of the limit or larger gets a warning: one more step may not fit. */
export const DEFINITION_WARNING_RATIO = 0.8;

/**
 * Longest Lambda function ARN: `arn:aws-us-gov:lambda:<14-character region>:<12 digits>:function:`
 * plus a 64-character name is 123 characters; 128 leaves room. The deployed names are only known
 * after `cdk deploy`, so the size check counts every Task's ARN at this length.
 */
export const MAX_LAMBDA_ARN_LENGTH = 128;

/** Lambda: a function's description is at most 256 characters. */
export const MAX_LAMBDA_DESCRIPTION_LENGTH = 256;

/** Lambda: memory from 128 MB to 10,240 MB, in 1 MB steps. */
export const LAMBDA_MEMORY_MB = { min: 128, max: 10_240 } as const;

/** CloudFormation: a stack name is 1-128 characters, a letter first, then letters, digits and `-`. */
export const STACK_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9-]{0,127}$/;

/** ASL: intrinsic functions nest at most 10 deep in one field. */
export const MAX_INTRINSIC_NESTING = 10;

/**
 * Step Functions refuses control characters in names (U+0000-001F, U+007F-009F, U+FFFE-FFFF,
 * lone surrogates); bidirectional overrides and isolates (U+202A-202E, U+2066-2069) reorder text
 * on screen, so a name or description would read differently in review than it is (Trojan
 * Source). Neither is ever needed in a workflow file: the YAML reader refuses both in any text,
 * tab and line breaks excepted; a state name may hold neither (see `characterProblem`).
 */
function forbidden(code: number): boolean {
  return (
    code <= 0x1f ||
    (code >= 0x7f && code <= 0x9f) ||
    (code >= 0x202a && code <= 0x202e) ||
    (code >= 0x2066 && code <= 0x2069) ||
    (code >= 0xd800 && code <= 0xdfff) || // a lone surrogate: for...of yields pairs whole
    code === 0xfffe ||
    code === 0xffff
  );
}

/** Readable names of the characters {@link characterProblem} refuses. */
const CHARACTER_NAMES: Readonly<Record<number, string>> = {
  0: 'NUL',
  9: 'TAB',
  10: 'LINE FEED',
  13: 'CARRIAGE RETURN',
  27: 'ESCAPE',
  127: 'DELETE',
  8234: 'LEFT-TO-RIGHT EMBEDDING',
  8235: 'RIGHT-TO-LEFT EMBEDDING',
  8236: 'POP DIRECTIONAL FORMATTING',
  8237: 'LEFT-TO-RIGHT OVERRIDE',
  8238: 'RIGHT-TO-LEFT OVERRIDE',
  8294: 'LEFT-TO-RIGHT ISOLATE',
  8295: 'RIGHT-TO-LEFT ISOLATE',
  8296: 'FIRST STRONG ISOLATE',
  8297: 'POP DIRECTIONAL ISOLATE',
};

/**
 * The first character of `text` AWS refuses in a name or that hides what the text says, as
 * `U+202E RIGHT-TO-LEFT OVERRIDE (character 4)`; undefined when there is none. With
 * `lineBreaks`, tab, line feed and carriage return are allowed (descriptions, request bodies).
 *
 * @example characterProblem('a\u202Eb') // 'U+202E RIGHT-TO-LEFT OVERRIDE (character 2)'
 */
export function characterProblem(text: string, options: { lineBreaks?: boolean } = {}): string | undefined {
  let position = 0;
  for (const character of text) {
    position++;
    const code = character.codePointAt(0) ?? 0;
    if (!forbidden(code)) continue;
    if (options.lineBreaks && (code === 0x09 || code === 0x0a || code === 0x0d)) continue;
    const hex = code.toString(16).toUpperCase().padStart(4, '0');
    const kind =
      CHARACTER_NAMES[code] ??
      (code >= 0xd800 && code <= 0xdfff
        ? 'a lone surrogate'
        : code >= 0xfffe
          ? 'a noncharacter'
          : 'a control character');
    return `U+${hex} ${kind} (character ${position})`;
  }
  return undefined;
}

/** AWS::StepFunctions::StateMachineVersion (its description is the workflow's `version`): 256 characters. */
export const MAX_STATE_MACHINE_VERSION_DESCRIPTION_LENGTH = 256;
