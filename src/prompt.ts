/**
 * apply's question: one key, no Enter. `y` and the other choices act at once; Enter alone, or a
 * key that is no choice, answers nothing (it says which keys there are); `?` lists them; Ctrl-C
 * aborts as at any prompt (an `ExitPromptError`, exit 130, nothing written).
 */
export interface KeyChoice<T> { key: string; name: string; value: T }

export type KeyEvent = { kind: 'choice'; key: string } | { kind: 'help' } | { kind: 'interrupt' } | { kind: 'other' };

/** What a chunk of terminal input means: a choice's key (either case), `?`/`h` for help, Ctrl-C or Ctrl-D, or nothing (Enter among them). */
export function interpretKey(data: string, keys: readonly string[]): KeyEvent {
  if (data.startsWith('\x03') || data.startsWith('\x04')) return { kind: 'interrupt' };
  // an arrow or function key is an escape sequence; a key followed by Enter counts as the key (Enter alone is nothing)
  if (data.startsWith('\x1b') || !/^[^\r\n][\r\n]*$/.test(data)) return { kind: 'other' };
  const k = data[0]!.toLowerCase();
  if (keys.includes(k)) return { kind: 'choice', key: k };
  if (k === '?' || k === 'h') return { kind: 'help' };
  return { kind: 'other' };
}

class ExitPromptError extends Error {
  override name = 'ExitPromptError';
}

interface Input { isTTY?: boolean; setRawMode?(raw: boolean): unknown; on(e: 'data', f: (d: Buffer | string) => void): unknown; off(e: 'data', f: (d: Buffer | string) => void): unknown; resume(): unknown; pause(): unknown }

/** Ask, and resolve with the value of the first key that is a choice. */
export function askKey<T>(o: { message: string; choices: KeyChoice<T>[]; input?: Input; output?: { write(s: string): unknown } }): Promise<T> {
  const input = o.input ?? process.stdin;
  const output = o.output ?? process.stdout;
  const keys = o.choices.map((c) => c.key);
  const prompt = `${o.message} [${keys.join(',')},?] `;
  const help = o.choices.map((c) => `  ${c.key} - ${c.name}`).join('\n') + '\n';
  return new Promise<T>((resolve, reject) => {
    const raw = Boolean(input.isTTY && input.setRawMode);
    if (raw) input.setRawMode!(true);
    const done = () => {
      input.off('data', onData);
      if (raw) input.setRawMode!(false);
      input.pause();
    };
    const onData = (d: Buffer | string) => {
      const e = interpretKey(d.toString(), keys);
      if (e.kind === 'interrupt') { done(); output.write('\n'); reject(new ExitPromptError('interrupted at the prompt')); return; }
      if (e.kind === 'choice') { done(); output.write(`${e.key}\n`); resolve(o.choices.find((c) => c.key === e.key)!.value); return; }
      output.write(e.kind === 'help' ? `\n${help}${prompt}` : `\n(press one key: ${keys.join(', ')}; ? for help)\n${prompt}`);
    };
    output.write(prompt);
    input.on('data', onData);
    input.resume();
  });
}
