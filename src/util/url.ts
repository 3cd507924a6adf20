/**
 * What may be fetched: a URL with a scheme lab downloads from, a host, and
 * nothing a person mistyped (a space, a control character) or should not
 * write there (a user name or password). Pure.
 */
export function urlProblem(text: string, schemes: readonly string[] = ['https']): string | undefined {
  if (/[\s\p{Cc}]/u.test(text)) return 'has a space or a control character';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return 'is not a URL';
  }
  const scheme = url.protocol.slice(0, -1);
  if (!schemes.includes(scheme)) return `is not ${schemes.join(' or ')} (it is ${scheme})`;
  if (!url.hostname) return 'names no host';
  if (url.username || url.password) return 'carries a user name or password';
  return undefined;
}

/** A value that means to be a URL rather than a path: it starts with a scheme and "://" (pure). */
export function looksLikeUrl(text: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(text.trimStart());
}
