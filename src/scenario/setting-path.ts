/**
 * The guest files a scenario may set: the sysctl and sysfs trees of memory
 * management, which lab reads before setting and restores after. Anything
 * else (/sys/../etc/shadow, /proc/sys/kernel/...) is refused before the run.
 */
export const SETTING_TREES = ['/proc/sys/vm/', '/sys/kernel/mm/'] as const;

const WHERE = 'a file under /proc/sys/vm or /sys/kernel/mm (the trees lab restores)';

/** Why a path may not be a setting, or undefined (pure). */
export function settingPathProblem(file: string): string | undefined {
  if (!/^\/[\w./-]+$/.test(file)) return `${WHERE}, in letters, digits, "_", "-", "." and "/"`;
  const parts = file.slice(1).split('/');
  if (parts.some((c) => c === '' || c === '.' || c === '..')) return `${WHERE}, with no "..", "." or "//"`;
  if (!SETTING_TREES.some((tree) => file.startsWith(tree))) return WHERE;
  return undefined;
}
