/** `<layers>/launch.toml`: processes, labels and slices a build contributes to the app image. */

/** `[[processes]]` (command is an array since Buildpack API 0.9). */
export interface Process {
  /** Validated: letters, digits, '.', '_', '-'. */
  type: string;
  command: string[];
  args?: string[];
  default?: boolean;
  /** TOML `working-dir`. */
  workingDir?: string;
}

/** `[[labels]]`: an image label. */
export interface Label {
  key: string;
  value: string;
}

/** `[[slices]]`: app paths exported as a separate layer. */
export interface Slice {
  paths: string[];
}

/** The whole launch.toml. */
export interface LaunchToml {
  processes: Process[];
  labels: Label[];
  slices: Slice[];
}
