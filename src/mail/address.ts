/**
 * Email addresses of digest subscribers: one rule to check them and one to normalise them, so that
 * `Alice@Example.org ` and `alice@example.org` are one subscriber. The syntax accepted is the
 * common one (RFC 5321 dot-atom local part, an ASCII or punycode domain with a top-level label),
 * not every form RFC 5322 allows: no quoted local parts, comments or address literals, and nothing
 * that could break a mail header (spaces, commas, angle brackets, control characters).
 */
import { ArgumentError } from "../papers/errors.ts";

/** RFC 5321's limits: 64 characters of local part, 254 of address. */
export const EMAIL_LIMITS = { local: 64, total: 254 } as const;

const LOCAL = /^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;
const TOP_LABEL = /^([a-z]{2,63}|xn--[a-z0-9-]{1,59})$/;

/** The address as stored and compared: trimmed, NFC, lower case. */
export function normalizeEmail(raw: string): string {
  return raw.trim().normalize("NFC").toLowerCase();
}

/** The normalised address, or an ArgumentError naming `argument` and what is wrong. */
export function checkEmail(raw: string, argument: string): string {
  if (raw.length > EMAIL_LIMITS.total * 2) {
    throw new ArgumentError(argument, `at most ${EMAIL_LIMITS.total} characters`);
  }
  const email = normalizeEmail(raw);
  if (email.length < 3 || email.length > EMAIL_LIMITS.total) {
    throw new ArgumentError(argument, `an address has 3 to ${EMAIL_LIMITS.total} characters`);
  }
  const at = email.lastIndexOf("@");
  if (at < 1) throw new ArgumentError(argument, "not an email address (local@domain)");
  const local = email.slice(0, at);
  const labels = email.slice(at + 1).split(".");
  if (local.length > EMAIL_LIMITS.local) {
    throw new ArgumentError(
      argument,
      `the part before @ has at most ${EMAIL_LIMITS.local} characters`,
    );
  }
  if (!LOCAL.test(local)) {
    throw new ArgumentError(argument, "the part before @ has characters an address cannot have");
  }
  if (
    labels.length < 2 ||
    !labels.every((label) => LABEL.test(label)) ||
    !TOP_LABEL.test(labels[labels.length - 1] as string)
  ) {
    throw new ArgumentError(argument, "the part after @ is not a domain name (example.org)");
  }
  return email;
}
