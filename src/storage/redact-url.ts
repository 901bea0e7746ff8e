/** A connection URL fit for a message or a log line: the password is replaced, never shown. */
export function redactUrl(value: string): string {
  try {
    const url = new URL(value);
    if (url.password !== "") url.password = "***";
    return url.toString();
  } catch {
    return "(not a valid URL)";
  }
}
