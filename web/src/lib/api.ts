// The HTTP API under /api/v1: one error shape (`ErrorBody`, a stable code, a sentence in the
// person's language), the session's bearer token, and a raw form for the wasm core.
import type { ErrorBody } from "../gen/ErrorBody";
import type { ErrorCode } from "../gen/ErrorCode";
import { lang } from "./i18n";

export const API = "/api/v1";

/** A refusal of the server, or `unreachable` when no answer came. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode | "unreachable",
    message: string,
    readonly field?: string | null,
    readonly retryAfter?: number | null,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

let token: string | null = null;
let onSessionEnded: (() => void) | null = null;

/** The bearer token of this browser's session (`null` when logged out). */
export function setToken(t: string | null): void {
  token = t;
}

/** Called when the server says the session is over (401 with a token). */
export function whenSessionEnds(f: () => void): void {
  onSessionEnded = f;
}

function headers(contentType?: string): Record<string, string> {
  const h: Record<string, string> = { "accept-language": lang.value };
  if (token) h.authorization = `Bearer ${token}`;
  if (contentType) h["content-type"] = contentType;
  return h;
}

/** One request; resolves with the decoded answer, rejects with an `ApiError`. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const isRaw = body instanceof Blob || body instanceof ArrayBuffer || body instanceof Uint8Array;
  const type = body === undefined ? undefined : isRaw ? "application/octet-stream" : "application/json";
  let res: Response;
  try {
    res = await fetch(API + path, {
      method,
      headers: headers(type),
      body: body === undefined ? undefined : isRaw ? (body as BodyInit) : JSON.stringify(body),
    });
  } catch {
    throw new ApiError(0, "unreachable", "");
  }
  return answer<T>(res);
}

/** `POST` of text (CSV). */
export async function postText<T>(path: string, contentType: string, text: string): Promise<T> {
  let res: Response;
  try {
    res = await fetch(API + path, { method: "POST", headers: headers(contentType), body: text });
  } catch {
    throw new ApiError(0, "unreachable", "");
  }
  return answer<T>(res);
}

async function answer<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (res.ok) return (text ? JSON.parse(text) : null) as T;
  let body: ErrorBody | null = null;
  try {
    body = JSON.parse(text) as ErrorBody;
  } catch {
    // Not our error shape: a proxy or the network.
  }
  if (!body?.error) throw new ApiError(res.status, "unreachable", "");
  const e = body.error;
  if (res.status === 401 && token && e.code === "unauthenticated") onSessionEnded?.();
  throw new ApiError(res.status, e.code, e.message, e.field, e.retry_after_secs);
}

/** For the wasm core: every answer resolves (status and text); no answer rejects. */
export async function rawRequest(
  method: string,
  path: string,
  body: string | undefined,
): Promise<{ status: number; body: string }> {
  const res = await fetch(API + path, {
    method,
    headers: headers(body === undefined ? undefined : "application/json"),
    body,
  });
  const text = await res.text();
  if (res.status === 401 && token) onSessionEnded?.();
  return { status: res.status, body: text };
}
