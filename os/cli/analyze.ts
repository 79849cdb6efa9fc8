// `ros analyze boot`: where this boot's time went, from the timeline init recorded.
import { Command } from "commander";

export function analyzeCommand(): Command {
  const analyze = new Command("analyze").description("how the host booted");
  analyze
    .command("boot")
    .description("this boot's timeline: the kernel, init's stages, each system service until ready, SSH and the user Docker ready")
    .option("-o, --output <format>", "text or json", "text")
    .option("--svg <file>", "also draw it as an SVG chart in FILE")
    .action(async (o: { output: string; svg?: string }) => (await import("./analyze-actions.ts")).analyzeBoot(o));
  return analyze;
}
