/**
 * Small but genuine sample files for the demo, with fake PII in them: each starts with the magic
 * bytes and structure its type really has, so MIME detection treats it as it would a user's file.
 */
import { strToU8, zipSync } from "fflate"

const text = (s: string) => new TextEncoder().encode(s)

const fakePeople = [
  ["Jane Doe", "jane.doe@example.com", "078-05-1120", "+1 202 555 0143", "1985-04-12"],
  ["Max Mustermann", "max.mustermann@example.de", "123-45-6789", "+49 30 1234567", "1979-11-02"],
  ["Élodie Martin", "elodie.martin@example.fr", "219-09-9999", "+33 1 23 45 67 89", "1992-07-30"]
] as const

export const csv = text(
  ["name,email,ssn,phone,date_of_birth", ...fakePeople.map((p) => p.join(","))].join("\n") + "\n"
)

export const plainText = text(
  `Meeting notes — payroll review\nAttendees: ${fakePeople.map((p) => p[0]).join(", ")}\n` +
    `Action: send corrected W-2 to ${fakePeople[0][1]} (SSN ${fakePeople[0][2]}).\n`
)

export const pdf = text(
  "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n" +
    "2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n" +
    "3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >> endobj\n" +
    `4 0 obj << /Length 80 >> stream\nBT /F1 12 Tf 72 720 Td (Employee: ${fakePeople[1][0]}, SSN ${fakePeople[1][2]}) Tj ET\nendstream endobj\n` +
    "trailer << /Root 1 0 R >>\n%%EOF\n"
)

/** A 1×1 PNG. */
export const png = Uint8Array.from(
  Buffer.from("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==", "base64")
)

/** A JFIF header and an empty image: enough for any magic-byte detector. */
export const jpeg = Uint8Array.from(Buffer.from("ffd8ffe000104a46494600010100000100010000ffdb004300" + "08".repeat(64) + "ffd9", "hex"))

const contentTypes = (part: string, type: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
  `<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
  `<Default Extension="xml" ContentType="application/xml"/><Override PartName="/${part}" ContentType="${type}"/></Types>`

const fixed = { mtime: new Date("2026-01-01T00:00:00Z") }

export const docx = zipSync({
  "[Content_Types].xml": [strToU8(contentTypes("word/document.xml", "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")), fixed],
  "_rels/.rels": [strToU8(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`), fixed],
  "word/document.xml": [strToU8(`<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Offer letter for ${fakePeople[2][0]}, born ${fakePeople[2][4]}</w:t></w:r></w:p></w:body></w:document>`), fixed]
})

export const xlsx = zipSync({
  "[Content_Types].xml": [strToU8(contentTypes("xl/workbook.xml", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")), fixed],
  "_rels/.rels": [strToU8(`<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="r1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>`), fixed],
  "xl/workbook.xml": [strToU8(`<?xml version="1.0"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheets><sheet name="Payroll" sheetId="1"/></sheets></workbook>`), fixed],
  "xl/worksheets/sheet1.xml": [strToU8(`<?xml version="1.0"?><worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>${fakePeople.map((p, i) => `<row r="${i + 1}"><c t="inlineStr"><is><t>${p[0]}</t></is></c><c t="inlineStr"><is><t>${p[2]}</t></is></c></row>`).join("")}</sheetData></worksheet>`), fixed]
})

export const zip = zipSync({ "contacts.csv": [csv, fixed], "notes.txt": [plainText, fixed] })

/** A Windows executable header: a type no PII allow-list includes. */
export const exe = (() => {
  const bytes = new Uint8Array(512)
  bytes.set(text("MZ"), 0)
  new DataView(bytes.buffer).setUint32(0x3c, 0x80, true)
  bytes.set(text("PE\0\0"), 0x80)
  return bytes
})()

/** A PDF padded to `size` bytes: for the over-the-limit case. */
export const largePdf = (size: number) => {
  const bytes = new Uint8Array(size).fill(0x20)
  bytes.set(pdf, 0)
  return bytes
}
