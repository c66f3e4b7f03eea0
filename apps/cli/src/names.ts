/** Reference helpers the commands print with (docker's familiar forms). */
import { familiarRepository, parseReference, withDefaultTag, type Reference } from '@c/image';

export { familiarRepository };

export function normalizeReference(input: string): Reference {
  return withDefaultTag(parseReference(input));
}
