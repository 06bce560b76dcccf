/** `<layers>/build.toml`: plan entries this buildpack was given but did not provide (`[[unmet]]`). */

/** `[[unmet]]`. */
export interface Unmet {
  name: string;
}

/** The whole build.toml. */
export interface BuildToml {
  unmet: Unmet[];
}
