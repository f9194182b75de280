/*
 * GTFS CSV files: RFC 4180 (https://www.rfc-editor.org/rfc/rfc4180 §2) as the
 * GTFS reference requires ("Dataset files" rules, https://gtfs.org/documentation/schedule/reference/#file-requirements):
 *   - comma-separated fields, records end in CRLF or LF (both occur in real feeds; a lone CR too);
 *   - a field may be quoted; inside quotes commas and line breaks are data and `""` is one `"` (§2.5–2.7);
 *   - the first record is the header (field names, case-sensitive);
 *   - a UTF-8 byte-order mark may precede the header (GTFS allows it), and is dropped.
 * Quirks handled on purpose: blank lines are skipped; a record shorter than the
 * header reads the missing fields as "" (trailing empty optional columns are
 * common); a record longer than the header is an error (data would be lost).
 * A quote inside an unquoted field, text after a closing quote, or an
 * unterminated quote is an error naming the line.
 */

/** A malformed CSV file; `line` is the 1-based line where the problem starts. */
export class CsvError extends Error {
	constructor(
		message: string,
		readonly line: number,
	) {
		super(message);
		this.name = "CsvError";
	}
}

/**
 * Parses a whole CSV text (header + records) into one object per record keyed
 * by the header's field names. `source` names the file in error messages.
 * Throws CsvError (with the line number) for malformed quoting or a record with more fields than the header.
 */
export function parseCsv(text: string, source = "csv"): Record<string, string>[] {
	const records = splitRecords(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, source);
	if (records.length === 0) return [];
	const header = records[0]!.fields.map((name) => name.trim());
	const seen = new Set<string>();
	for (const name of header) {
		if (name === "") throw new CsvError(`${source}: line ${records[0]!.line}: empty field name in the header`, records[0]!.line);
		if (seen.has(name)) throw new CsvError(`${source}: line ${records[0]!.line}: field "${name}" appears twice in the header`, records[0]!.line);
		seen.add(name);
	}
	const rows: Record<string, string>[] = [];
	for (let r = 1; r < records.length; r++) {
		const { fields, line } = records[r]!;
		if (fields.length > header.length) {
			throw new CsvError(`${source}: line ${line}: ${fields.length} fields but the header has ${header.length}`, line);
		}
		const row: Record<string, string> = {};
		for (let i = 0; i < header.length; i++) row[header[i]!] = fields[i] ?? "";
		rows.push(row);
	}
	return rows;
}

interface RawRecord {
	fields: string[];
	/** 1-based line where the record starts */
	line: number;
}

/** RFC 4180 §2 tokenizer: records of fields, quoted fields unescaped, blank lines dropped. */
function splitRecords(text: string, source: string): RawRecord[] {
	const records: RawRecord[] = [];
	let fields: string[] = [];
	let field = "";
	let line = 1;
	let recordLine = 1;
	let i = 0;
	const n = text.length;
	// A record of one empty unquoted field is a blank line, not data.
	let quotedSeen = false;
	const endRecord = () => {
		fields.push(field);
		if (!(fields.length === 1 && fields[0] === "" && !quotedSeen)) records.push({ fields, line: recordLine });
		fields = [];
		field = "";
		quotedSeen = false;
	};
	while (i < n) {
		const c = text[i]!;
		if (c === '"') {
			if (field !== "") throw new CsvError(`${source}: line ${line}: a quote inside an unquoted field (RFC 4180 §2.5: quote the whole field)`, line);
			quotedSeen = true;
			const startLine = line;
			i++;
			for (;;) {
				if (i >= n) throw new CsvError(`${source}: line ${startLine}: quoted field never closed`, startLine);
				const q = text[i]!;
				if (q === '"') {
					if (text[i + 1] === '"') {
						field += '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				if (q === "\n" || (q === "\r" && text[i + 1] !== "\n")) line++;
				field += q;
				i++;
			}
			const next = text[i];
			if (next !== undefined && next !== "," && next !== "\n" && next !== "\r") {
				throw new CsvError(`${source}: line ${line}: text after the closing quote of a field`, line);
			}
			continue;
		}
		if (c === ",") {
			fields.push(field);
			field = "";
			i++;
			continue;
		}
		if (c === "\r" || c === "\n") {
			endRecord();
			i += c === "\r" && text[i + 1] === "\n" ? 2 : 1;
			line++;
			recordLine = line;
			continue;
		}
		field += c;
		i++;
	}
	if (field !== "" || fields.length > 0 || quotedSeen) endRecord();
	return records;
}
