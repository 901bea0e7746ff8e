import type { Page } from "playwright-core";

/**
 * Records what a web UI page got wrong, for the test to expect empty at the end: every uncaught
 * error in `pageErrors`, every console line reporting a Content Security Policy violation in
 * `cspViolations` (the browser reports those on the console only).
 */
export function watchPageProblems(page: Page, pageErrors: string[], cspViolations: string[]): void {
  page.on("pageerror", (error) => pageErrors.push(error.message));
  page.on("console", (message) => {
    if (message.text().includes("Content Security Policy")) cspViolations.push(message.text());
  });
}
