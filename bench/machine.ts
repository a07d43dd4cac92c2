// The machine the figures were measured on.
import { spawnSync } from 'node:child_process';
import { cpus, totalmem } from 'node:os';

export interface Machine {
  cpuModel: string;
  cores: number;
  memoryMb: number;
  node: string;
  rclone: string | null;
  date: string;
}

export function rcloneVersion(): string | null {
  const r = spawnSync('rclone', ['version'], { encoding: 'utf8' });
  if (r.status !== 0) return null;
  return r.stdout.split('\n')[0]?.trim() ?? 'rclone';
}

export function describeMachine(): Machine {
  const list = cpus();
  return {
    cpuModel: list[0]?.model ?? 'unknown',
    cores: list.length,
    memoryMb: Math.round(totalmem() / 1024 / 1024),
    node: process.version,
    rclone: rcloneVersion(),
    date: new Date().toISOString(),
  };
}
