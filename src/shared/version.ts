import { version } from '../../package.json';

/** The version of this build; a host and its clients compare it to spot a stale host. */
export const VERSION: string = version;
