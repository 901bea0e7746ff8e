/** Whether bin/station in the checkout at `root` (a directory URL) runs its compiled build rather than the sources. */
export function buildIsCurrent(root: URL): boolean;
