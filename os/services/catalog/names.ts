// Names that become file and cache paths (entries, repositories) and container names (services):
// nothing that could climb out of a folder or confuse Docker.
export const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;

export const isSafeName = (name: string): boolean => SAFE_NAME.test(name) && !name.includes("..");

/** Where a catalog entry's definition lives inside its repository. */
export const definitionPath = (name: string): string => `${name[0]!}/${name}.yml`;
