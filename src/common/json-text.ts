/**
 * An answer already written as JSON text. ExpressHttpAdapter.reply sends it as it is, under
 * the JSON Content-Type, where any other object answer goes through JSON.stringify: for an
 * answer whose bulk the database already holds as JSON text (the audit page's event data),
 * parsing that text only to write it again was the largest part of the answer's cost
 * (bench/README.md, "fourteenth pass").
 *
 * The text must be one JSON value. Anything that serializes it another way (JSON.stringify)
 * gets that value back (toJSON), never the wrapper.
 */
export class JsonText {
  constructor(readonly text: string) {}

  toJSON(): unknown {
    return JSON.parse(this.text);
  }
}
