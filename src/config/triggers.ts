/** Guest commands by name for lab debug --trigger; any other command comes after "--". */
export const TRIGGERS = {
  compact: ['sh', '-c', 'echo 1 > /proc/sys/vm/compact_memory'],
} as const;
export type Trigger = keyof typeof TRIGGERS;
