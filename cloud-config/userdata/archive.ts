// `#cloud-config-archive`: a YAML list whose items are parts. An item is either a string (the
// content, its type told by its header) or a map with `content` and optional `type`, `filename`
// and `launch-index`.
import { LineCounter, isMap, isScalar, isSeq, parseDocument, type Node } from "yaml";

export interface ArchiveEntry {
  line: number;
  col: number;
  content: string;
  /** Lower-cased MIME type; undefined when the content's header decides. */
  type?: string;
  filename?: string;
  /** The entry names a launch-index, which Corral does not filter on. */
  launchIndex: boolean;
}

export interface ArchiveProblem {
  severity: "error" | "warning";
  line: number;
  col: number;
  message: string;
  hint: string;
}

export interface Archive {
  entries: ArchiveEntry[];
  problems: ArchiveProblem[];
}

export function parseArchive(text: string): Archive {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: false });
  const at = (offset: number | undefined) => lc.linePos(offset ?? 0);
  const problems: ArchiveProblem[] = [];
  if (doc.errors.length) {
    for (const e of doc.errors) {
      problems.push({ severity: "error", ...at(e.pos[0]), message: `archive is not valid YAML: ${e.message.split("\n")[0]}`, hint: "fix the YAML; the archive was skipped" });
    }
    return { entries: [], problems };
  }
  const root = doc.contents;
  if (root === null || (isScalar(root) && root.value === null)) return { entries: [], problems };
  if (!isSeq(root)) {
    problems.push({ severity: "error", ...at(root.range?.[0]), message: "a #cloud-config-archive must be a YAML list of parts", hint: "write each part as a list item: `- type: text/cloud-config` with `content: |`" });
    return { entries: [], problems };
  }
  const entries: ArchiveEntry[] = [];
  for (const item of root.items as Node[]) {
    const pos = at(item?.range?.[0]);
    if (isScalar(item) && typeof item.value === "string") {
      entries.push({ ...pos, content: item.value, launchIndex: false });
      continue;
    }
    if (!isMap(item)) {
      problems.push({ severity: "warning", ...pos, message: "archive item is neither a string nor a map, skipped", hint: "give each item `content:` (and `type:`), or write it as a string" });
      continue;
    }
    const str = (key: string) => {
      const n = item.get(key, true) as Node | undefined;
      return isScalar(n) && typeof n.value === "string" ? n.value : undefined;
    };
    const content = str("content");
    if (content === undefined) {
      problems.push({ severity: "warning", ...pos, message: "archive item has no string `content`, skipped", hint: "add `content: |` followed by the part's text" });
      continue;
    }
    const type = str("type")?.trim().toLowerCase();
    const filename = str("filename");
    entries.push({ ...pos, content, launchIndex: item.has("launch-index"), ...(type ? { type } : {}), ...(filename ? { filename } : {}) });
  }
  return { entries, problems };
}
