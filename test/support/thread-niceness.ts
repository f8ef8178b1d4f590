import { readdirSync, readFileSync } from 'node:fs';

/** The nice value of each thread of a process, by thread id, from /proc (Linux only). */
export function threadNiceness(pid: number | 'self' = 'self'): Map<number, number> {
  const nice = new Map<number, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      // The fields after the command name start with the state (field 3); nice is field 19.
      nice.set(Number(tid), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]));
    } catch {
      // the thread ended while we looked
    }
  }
  return nice;
}
