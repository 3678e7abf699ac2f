/**
 * The JSON-array recipient reader: a top-level array of recipient objects, split into elements
 * incrementally so memory is bounded by the largest element, not the file.
 */
import type { LitecastError } from '../shared/errors.ts';
import { decodeUtf8 } from './decode-chunks.ts';
import { parseJsonRecord } from './json-recipient-rules.ts';
import { MAX_RECORD_LENGTH, fileError, isJsonWhitespace, type ReadItem } from './recipient-row-rules.ts';


/** One top-level element of a JSON array, as source text, with the line it starts on. */
type JsonElement = { line: number; text: string };

/**
 * Incremental splitter for a top-level JSON array. It tracks string/escape state and the
 * bracket stack across chunks and cuts out each top-level element's text, which is then parsed
 * on its own, so memory is bounded by the largest element, not the file.
 *
 * A syntax error inside a bracket-balanced element is that element's problem (a rejected row;
 * the splitter resyncs at the next top-level comma). Errors in the array structure (missing
 * comma, mismatched bracket, unclosed string or array, data after the array) cannot be resynced
 * reliably and stop the file with a {@link LitecastError} naming the line.
 */
class JsonArraySplitter {
  private line = 1;
  private state: 'before' | 'first' | 'value' | 'separator' | 'after' = 'before';
  private inElement = false;
  private scalar = false;
  private inString = false;
  private escaped = false;
  private readonly stack: number[] = [];
  private parts: string[] = [];
  private partsLength = 0;
  private elementLine = 0;

  /** Splits one chunk; completed elements are appended to `out` even when it then throws. */
  push(text: string, out: JsonElement[]): void {
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.inElement) {
        if (this.inString) {
          if (this.escaped) this.escaped = false;
          else if (c === 0x5c /* \ */) this.escaped = true;
          else if (c === 0x22 /* " */) {
            this.inString = false;
            if (this.stack.length === 0) this.finish(text, start, i + 1, out);
          } else if (c === 0x0a) this.line++;
          continue;
        }
        if (this.scalar) {
          // A number or literal ends at the first delimiter, which is then handled between elements.
          if (c !== 0x2c && c !== 0x5d && c !== 0x7d && !isJsonWhitespace(c)) continue;
          this.finish(text, start, i, out);
        } else {
          if (c === 0x22) this.inString = true;
          else if (c === 0x7b /* { */ || c === 0x5b /* [ */) this.stack.push(c);
          else if (c === 0x7d /* } */ || c === 0x5d /* ] */) {
            const open = this.stack.pop();
            if (open !== (c === 0x7d ? 0x7b : 0x5b)) {
              throw this.error(`mismatched "${String.fromCharCode(c)}" at line ${this.line} in the element starting at line ${this.elementLine}`);
            }
            if (this.stack.length === 0) this.finish(text, start, i + 1, out);
          } else if (c === 0x0a) this.line++;
          continue;
        }
      }
      if (isJsonWhitespace(c)) {
        if (c === 0x0a) this.line++;
        continue;
      }
      switch (this.state) {
        case 'before':
          if (c !== 0x5b) {
            const hint =
              c === 0x7b
                ? 'it starts with "{". Use NDJSON (one object per line, .ndjson) or wrap the objects in [ … ] separated by commas'
                : `it starts with "${String.fromCharCode(c)}". Put the recipients in a top-level array: [{"phone": "4915…"}, …]`;
            throw this.error(`is not a JSON array: ${hint}`);
          }
          this.state = 'first';
          continue;
        case 'after':
          throw this.error(`has data after the closing "]" of the array, at line ${this.line}`);
        case 'separator':
          if (c === 0x2c) this.state = 'value';
          else if (c === 0x5d) this.state = 'after';
          else throw this.error(`is missing a "," between array elements at line ${this.line}`);
          continue;
        case 'first':
        case 'value':
          if (c === 0x5d) {
            if (this.state === 'value') throw this.error(`has a "," before "]" at line ${this.line} (trailing commas are not JSON)`);
            this.state = 'after';
            continue;
          }
          if (c === 0x2c || c === 0x7d) {
            throw this.error(`has an unexpected "${String.fromCharCode(c)}" at line ${this.line} where an array element should start`);
          }
          this.inElement = true;
          this.elementLine = this.line;
          start = i;
          if (c === 0x22) this.inString = true;
          else if (c === 0x7b || c === 0x5b) this.stack.push(c);
          else this.scalar = true;
      }
    }
    if (this.inElement) {
      this.parts.push(text.slice(start));
      this.partsLength += text.length - start;
      if (this.partsLength > MAX_RECORD_LENGTH) {
        throw this.error(
          `has an element starting at line ${this.elementLine} that is longer than ${MAX_RECORD_LENGTH} characters: a string or bracket is probably not closed`,
        );
      }
    }
  }

  /** Call at the end of input; throws if the array is incomplete. */
  end(out: JsonElement[]): void {
    if (this.inElement && this.scalar) this.finish('', 0, 0, out);
    if (this.inElement) {
      throw this.error(`ends inside the element starting at line ${this.elementLine}: the file is truncated or a string/bracket is not closed`);
    }
    if (this.state !== 'before' && this.state !== 'after') {
      throw this.error(`ends at line ${this.line} before the array is closed with "]": the file is truncated`);
    }
  }

  private finish(text: string, start: number, end: number, out: JsonElement[]): void {
    const tail = text.slice(start, end);
    const elementText = this.parts.length === 0 ? tail : this.parts.join('') + tail;
    out.push({ line: this.elementLine, text: elementText });
    this.parts = [];
    this.partsLength = 0;
    this.inElement = false;
    this.scalar = false;
    this.state = 'separator';
  }

  private error(problem: string): LitecastError {
    return fileError(`JSON recipient file ${problem}.`, { line: this.line, format: 'json' });
  }
}

/** Reads a JSON array, one {@link ReadItem} per element; errors in the array structure stop the file. */
export async function* readJsonArray(input: AsyncIterable<Buffer | Uint8Array | string>, phoneField: string): AsyncGenerator<ReadItem> {
  const splitter = new JsonArraySplitter();
  const elements: JsonElement[] = [];
  const drain = function* (): Generator<ReadItem> {
    for (const element of elements.splice(0, elements.length)) {
      yield parseJsonRecord(element.text, element.line, phoneField, 'the element');
    }
  };
  for await (const text of decodeUtf8(input)) {
    let failure: unknown;
    try {
      splitter.push(text, elements);
    } catch (error) {
      failure = error;
    }
    yield* drain();
    if (failure !== undefined) throw failure;
  }
  let failure: unknown;
  try {
    splitter.end(elements);
  } catch (error) {
    failure = error;
  }
  yield* drain();
  if (failure !== undefined) throw failure;
}
