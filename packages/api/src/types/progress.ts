/** One line of a pull/push/build NDJSON progress stream (Docker's `jsonmessage.JSONMessage`). */
export interface ProgressMessage {
  status?: string;
  /** The object the status is about: a short layer ID, a tag. */
  id?: string;
  /** A pre-rendered progress bar, for clients that do not render `progressDetail` themselves. */
  progress?: string;
  progressDetail?: ProgressDetail;
  /** Build output. */
  stream?: string;
  /** Structured results (a pushed digest, a built image ID). */
  aux?: unknown;
  /** Set, with `errorDetail`, on the message that ends a failed operation. */
  error?: string;
  errorDetail?: { code?: number; message: string };
}

export interface ProgressDetail {
  current?: number;
  total?: number;
  units?: string;
}
