// Walks the schema along a path of keys, for "did you mean" and for splitting dotted keys.
import { z } from "zod";
import { cloudConfigSchema } from "./index.ts";

export function unwrap(s: z.ZodType): z.ZodType {
  while (s instanceof z.ZodOptional || s instanceof z.ZodNullable) s = s.unwrap() as z.ZodType;
  return s;
}

/** The schemas that may sit at `path` (unions can offer several). */
export function schemasAt(path: readonly (string | number)[], s: z.ZodType = cloudConfigSchema): z.ZodType[] {
  s = unwrap(s);
  if (s instanceof z.ZodUnion) return (s.options as z.ZodType[]).flatMap((o) => schemasAt(path, o));
  if (path.length === 0) return [s];
  const [seg, ...rest] = path;
  if (s instanceof z.ZodObject) {
    const next = (s.shape as Record<string, z.ZodType>)[String(seg)];
    return next ? schemasAt(rest, next) : [];
  }
  if (s instanceof z.ZodRecord) return schemasAt(rest, s._zod.def.valueType as z.ZodType);
  if (s instanceof z.ZodArray) return schemasAt(rest, s.element as z.ZodType);
  return [];
}

export const objectsAt = (path: readonly (string | number)[]) => schemasAt(path).filter((s): s is z.ZodObject => s instanceof z.ZodObject);
export const isRecordAt = (path: readonly (string | number)[]) => schemasAt(path).some((s) => s instanceof z.ZodRecord);
export const isArrayAt = (path: readonly (string | number)[]) => schemasAt(path).some((s) => s instanceof z.ZodArray);
