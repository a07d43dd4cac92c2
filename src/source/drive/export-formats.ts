// Export formats by file extension (what --export-formats lists) → the MIME type Drive's exportLinks use.
// https://developers.google.com/workspace/drive/api/guides/ref-export-formats
import { ConfigError } from '../../errors.js';

export const EXPORT_MIME_BY_EXTENSION: Readonly<Record<string, string>> = {
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
  xlsx: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
  pptx: 'application/vnd.openxmlformats-officedocument.presentationml.presentation',
  odt: 'application/vnd.oasis.opendocument.text',
  ods: 'application/vnd.oasis.opendocument.spreadsheet',
  odp: 'application/vnd.oasis.opendocument.presentation',
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  html: 'text/html',
  rtf: 'application/rtf',
  epub: 'application/epub+zip',
  csv: 'text/csv',
  tsv: 'text/tab-separated-values',
  svg: 'image/svg+xml',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
};

export interface ExportFormat {
  extension: string;
  mimeType: string;
}

/** Validate and resolve the configured extensions, in preference order. */
export function resolveExportFormats(extensions: readonly string[]): ExportFormat[] {
  return extensions.map((raw) => {
    const extension = raw.trim().replace(/^\./, '').toLowerCase();
    const mimeType = EXPORT_MIME_BY_EXTENSION[extension];
    if (mimeType === undefined) {
      throw new ConfigError(
        `--export-formats: unknown format ${JSON.stringify(raw)} (known: ${Object.keys(EXPORT_MIME_BY_EXTENSION).join(', ')})`,
      );
    }
    return { extension, mimeType };
  });
}

/** The first preferred format this file offers, or null. */
export function pickExportFormat(
  formats: readonly ExportFormat[],
  exportLinks: Readonly<Record<string, string>> | null | undefined,
): (ExportFormat & { url: string }) | null {
  if (!exportLinks) return null;
  for (const format of formats) {
    const url = exportLinks[format.mimeType];
    if (url !== undefined) return { ...format, url };
  }
  return null;
}
