import { validateText } from "./cloud-config/validate.ts";
import { formatDiagnostic } from "./cloud-config/diagnostics.ts";
for (const t of ["hostname: a\nwrite_files:\n  - path: rel\n    content: x\n  - path: /ok\n", "hostname: a\nrancher:\n  services:\n    s:\n      image: 5\n", "hostname: a\nusers:\n  - name: 'bad name'\n"]) {
const v = validateText(t, "f");
console.log(v.diagnostics.map(formatDiagnostic), JSON.stringify(v.config));
}
