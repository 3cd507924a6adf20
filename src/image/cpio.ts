/**
 * A writer for the "newc" cpio format the kernel unpacks as an initramfs
 * (Documentation/driver-api/early-userspace/buffer-format.rst). Written here
 * because it is 60 lines and lets the image hold a /dev/console device node
 * without root: cpio(1) could only copy nodes that exist on the host.
 */
export type CpioEntry =
  | { kind: 'dir'; name: string; mode?: number }
  | { kind: 'file'; name: string; data: Buffer; mode?: number }
  | { kind: 'symlink'; name: string; target: string }
  | { kind: 'char'; name: string; major: number; minor: number; mode?: number };

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;

function hex8(n: number): string {
  return n.toString(16).padStart(8, '0');
}

function pad4(length: number): Buffer {
  return Buffer.alloc((4 - (length % 4)) % 4);
}

function header(fields: {
  ino: number;
  mode: number;
  nlink: number;
  size: number;
  rmajor: number;
  rminor: number;
  namesize: number;
}): string {
  return (
    '070701' +
    [
      fields.ino,
      fields.mode,
      0,
      0,
      fields.nlink,
      0,
      fields.size,
      0,
      0,
      fields.rmajor,
      fields.rminor,
      fields.namesize,
      0,
    ]
      .map(hex8)
      .join('')
  );
}

/** The archive's bytes. Owners are root, mtimes 0: the same entries give the same bytes. */
export function writeCpio(entries: CpioEntry[]): Buffer {
  const parts: Buffer[] = [];
  let offset = 0;
  const push = (b: Buffer) => {
    parts.push(b);
    offset += b.length;
  };
  const add = (name: string, mode: number, data: Buffer, nlink: number, rmajor = 0, rminor = 0, ino = 0) => {
    const nameBytes = Buffer.from(`${name}\0`);
    push(Buffer.from(header({ ino, mode, nlink, size: data.length, rmajor, rminor, namesize: nameBytes.length })));
    push(nameBytes);
    push(pad4(offset));
    push(data);
    push(pad4(offset));
  };
  entries.forEach((e, i) => {
    const name = e.name.replace(/^\/+/, '');
    const ino = i + 1;
    switch (e.kind) {
      case 'dir':
        add(name, S_IFDIR | (e.mode ?? 0o755), Buffer.alloc(0), 2, 0, 0, ino);
        break;
      case 'file':
        add(name, S_IFREG | (e.mode ?? 0o644), e.data, 1, 0, 0, ino);
        break;
      case 'symlink':
        add(name, S_IFLNK | 0o777, Buffer.from(e.target), 1, 0, 0, ino);
        break;
      case 'char':
        add(name, S_IFCHR | (e.mode ?? 0o600), Buffer.alloc(0), 1, e.major, e.minor, ino);
        break;
    }
  });
  add('TRAILER!!!', 0, Buffer.alloc(0), 1);
  return Buffer.concat(parts);
}
