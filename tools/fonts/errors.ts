/*
 * The one error type of `curbside fonts build`: a message that is already the
 * whole one-line story (which file, which line, what was wrong), so the CLI
 * prints it as is and exits 1.
 */
export class FontBuildError extends Error {
	constructor(message: string, options?: { cause?: unknown }) {
		super(message, options);
		this.name = "FontBuildError";
	}
}
