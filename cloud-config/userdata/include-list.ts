// The URL list of `#include` / `#include-once` user data: one URL a line, blank lines and lines
// starting with "#" ignored; a line starting with the header itself may carry a URL after it.

export interface IncludeUrl {
  url: string;
  line: number;
  col: number;
}

export interface IncludeProblem {
  line: number;
  col: number;
  message: string;
  hint: string;
}

export interface IncludeList {
  urls: IncludeUrl[];
  problems: IncludeProblem[];
}

export function parseIncludeList(text: string): IncludeList {
  const urls: IncludeUrl[] = [];
  const problems: IncludeProblem[] = [];
  text.split("\n").forEach((raw, i) => {
    let rest = raw.replace(/\r$/, "");
    const header = /^\s*#include(-once)?(\s|$)/.exec(rest);
    if (header) rest = " ".repeat(header[0].length) + rest.slice(header[0].length);
    const lead = rest.length - rest.trimStart().length;
    const entry = rest.trim();
    if (entry === "" || entry.startsWith("#")) return;
    const at = { line: i + 1, col: lead + 1 };
    if (!URL.canParse(entry)) {
      problems.push({ ...at, message: `${JSON.stringify(entry)} is not a URL`, hint: "write one absolute URL a line, like https://example.com/cloud-config.yml; comment lines start with #" });
      return;
    }
    urls.push({ url: entry, ...at });
  });
  return { urls, problems };
}
