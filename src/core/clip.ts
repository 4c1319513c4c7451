// Input quoted in a message, cut to what a log line can hold: a 60 MB line without a space was
// echoed whole into a problem's message (and the log).

/** Characters of quoted input a message keeps. */
export const CLIP_CHARS = 120;

/** `text` as it is when short, else its first CLIP_CHARS characters and its length. */
export function clip(text: string, max = CLIP_CHARS): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length} characters)`;
}
