// Reading and atomically replacing model files. A save writes a temporary file in the
// target's directory, fsyncs it, renames it over the target and fsyncs the directory: at
// every instant the target path names either the complete old file or the complete new
// one, so a crash (kill -9, power loss) mid-save never loses the previous checkpoint.
import { randomBytes } from 'node:crypto';
import { open, readdir, readFile, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { decodeModel, encodeModel, ModelFileError, type ModelArtifacts } from './format.js';

/** Writes `artifacts` to `path` atomically (see the file comment). */
export async function writeModelFile(path: string, artifacts: ModelArtifacts): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`save: path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  const chunks = encodeModel(artifacts);
  const dir = dirname(path);
  await removeStaleTemps(dir, basename(path));
  // Same directory as the target: rename is only atomic within one file system.
  const temp = join(dir, `.${basename(path)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  const handle = await open(temp, 'wx');
  try {
    try {
      for (const chunk of chunks) {
        let written = 0;
        while (written < chunk.byteLength) {
          const { bytesWritten } = await handle.write(chunk, written, chunk.byteLength - written);
          written += bytesWritten;
        }
      }
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (e) {
    await unlink(temp).catch(() => undefined);
    throw e;
  }
  await syncDirectory(dir);
}

// A save killed mid-write leaves its temporary file; the next save of the same target
// removes those whose writer process is gone (never a live writer's).
async function removeStaleTemps(dir: string, base: string): Promise<void> {
  const prefix = `.${base}.`;
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  for (const name of names) {
    const m = name.startsWith(prefix) ? /^(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name.slice(prefix.length)) : null;
    if (m && !processAlive(Number(m[1]))) await unlink(join(dir, name)).catch(() => undefined);
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Makes the rename itself durable. Some platforms (Windows) cannot open a directory.
  let handle;
  try {
    handle = await open(dir, 'r');
  } catch {
    return;
  }
  try {
    await handle.sync();
  } catch {
    // fsync on a directory is not supported everywhere (e.g. some network file systems).
  } finally {
    await handle.close();
  }
}

/** Reads and verifies a model file; throws ModelFileError when it is damaged. */
export async function readModelFile(path: string): Promise<ModelArtifacts> {
  if (typeof path !== 'string' || path.length === 0) {
    throw new TypeError(`loadModel: path must be a non-empty string, got ${JSON.stringify(path)}`);
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ModelFileError(path, 'no such file');
    throw e;
  }
  return decodeModel(bytes, path);
}
