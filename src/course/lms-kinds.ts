/** The LMSs peft-lab exports grades to and imports submissions from; its own module so the CLI's options load nothing else. */
export const EXPORT_FORMATS = ["canvas", "moodle", "gradescope"] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const LMS_KINDS = ["canvas", "moodle"] as const;
export type LmsKind = (typeof LMS_KINDS)[number];
