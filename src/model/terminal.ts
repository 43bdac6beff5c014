// Text that reaches a terminal: names in the input (rules, chains, resources, interfaces) may hold
// control characters — ESC sequences that erase a line, CR that returns to its start, bidi
// overrides that reorder it — and could paint a forged verdict. Everything the CLI prints goes
// through terminalSafe, which writes each such character as a JSON-style \uXXXX escape: readable,
// and still valid inside JSON strings (JSON.stringify leaves DEL, C1 and bidi controls raw).
// Line feeds and tabs are the layout of the output itself and stay.

// C0 but TAB and LF, DEL, C1, the line/paragraph separators, bidi embeddings, overrides and isolates.
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => '\\u' + c.charCodeAt(0).toString(16).padStart(4, '0');

export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, escape);
}
