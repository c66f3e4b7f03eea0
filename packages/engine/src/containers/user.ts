/**
 * Docker's `--user` forms (`name`, `uid`, `name:group`, `uid:gid`) resolved against the image's /etc/passwd and
 * /etc/group, which the caller reads out of the container's rootfs (names only mean something in there).
 */
import { CError } from '@c/errors';

export interface ResolvedUser {
  uid: number;
  gid: number;
  additionalGids: number[];
  home: string;
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}

function parsePasswd(text: string | undefined): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 7 || line.startsWith('#')) continue;
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (!Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, uid, gid, home: f[5]! });
  }
  return out;
}

function parseGroups(text: string | undefined): { name: string; gid: number; members: string[] }[] {
  const out: { name: string; gid: number; members: string[] }[] = [];
  for (const line of (text ?? '').split('\n')) {
    const f = line.split(':');
    if (f.length < 4 || line.startsWith('#')) continue;
    const gid = Number(f[2]);
    if (!Number.isInteger(gid)) continue;
    out.push({ name: f[0]!, gid, members: f[3]!.split(',').filter(Boolean) });
  }
  return out;
}

const isNumeric = (s: string) => /^\d+$/.test(s);

export function resolveUser(user: string, passwd: string | undefined, group: string | undefined): ResolvedUser {
  const [userPart = '', groupPart] = user.split(':');
  const users = parsePasswd(passwd);
  const groups = parseGroups(group);
  let entry: PasswdEntry | undefined;
  let uid: number;
  let gid: number;
  if (userPart === '') {
    entry = users.find((u) => u.uid === 0);
    uid = 0;
    gid = entry?.gid ?? 0;
  } else if (isNumeric(userPart)) {
    uid = Number(userPart);
    entry = users.find((u) => u.uid === uid);
    gid = entry?.gid ?? 0;
  } else {
    entry = users.find((u) => u.name === userPart);
    if (entry === undefined) {
      throw new CError('INVALID_ARGUMENT', `unable to find user ${userPart}: no matching entries in passwd file`, {
        hint: 'use a user that exists in the image, or a numeric uid',
        details: { user },
      });
    }
    uid = entry.uid;
    gid = entry.gid;
  }
  if (groupPart !== undefined && groupPart !== '') {
    if (isNumeric(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (g === undefined) {
        throw new CError('INVALID_ARGUMENT', `unable to find group ${groupPart}: no matching entries in group file`, {
          hint: 'use a group that exists in the image, or a numeric gid',
          details: { user },
        });
      }
      gid = g.gid;
    }
  }
  const name = entry?.name;
  const additionalGids = name === undefined ? [] : groups.filter((g) => g.members.includes(name) && g.gid !== gid).map((g) => g.gid);
  return { uid, gid, additionalGids, home: entry?.home ?? '/' };
}
