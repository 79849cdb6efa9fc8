// The smallest guest RAM, in steps, at which a boot still does what it must: found by bisection
// between a size assumed too small and one that works, booting once per probe.
export interface RamProbe { mb: number; ok: boolean; error?: string }

export interface MinRam {
  /** The smallest size that worked, or null when even `highMb` failed. */
  min_mb: number | null;
  step_mb: number;
  probes: RamProbe[];
}

/**
 * `works(mb)` boots with that much RAM. Sizes are multiples of `stepMb`; `lowMb` is taken to fail
 * without a boot (the initrd alone needs more), `highMb` is booted first.
 */
export async function minRam(works: (mb: number) => Promise<RamProbe>, lowMb: number, highMb: number, stepMb: number): Promise<MinRam> {
  const probes: RamProbe[] = [];
  const probe = async (mb: number) => {
    const p = await works(mb);
    probes.push(p);
    return p.ok;
  };
  if (!(await probe(highMb))) return { min_mb: null, step_mb: stepMb, probes };
  let bad = lowMb;
  let good = highMb;
  while (good - bad > stepMb) {
    const mid = bad + Math.floor((good - bad) / 2 / stepMb) * stepMb;
    if (await probe(mid)) good = mid;
    else bad = mid;
  }
  return { min_mb: good, step_mb: stepMb, probes };
}
