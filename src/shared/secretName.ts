/** What a secret's name may be, in `${secret:NAME}` and everywhere a name is given (CLI, control API, VS Code). */
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Said to whoever gives a name that does not fit SECRET_NAME_PATTERN. */
export const SECRET_NAME_RULE = 'a secret name is a letter or "_", then letters, digits, "_", "." or "-"';

/** Whether a string is a valid secret name. */
export function isSecretName(name: unknown): name is string {
  return typeof name === 'string' && SECRET_NAME_PATTERN.test(name);
}
