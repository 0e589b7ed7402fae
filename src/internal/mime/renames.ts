/**
 * file-type's names that mimetype v1.4.13 (the version Highvolt's Go clients run) spells
 * differently. Only the name differs: both libraries detect the same format.
 */
export const renames: ReadonlyMap<string, string> = new Map([
  ["application/x-unix-archive", "application/x-archive"],
  ["video/vnd.avi", "video/x-msvideo"],
  ["application/java-vm", "application/x-java-applet"],
  ["application/x-google-chrome-extension", "application/x-chrome-extension"],
  ["application/x-deb", "application/vnd.debian.binary-package"],
  ["application/x-msdownload", "application/vnd.microsoft.portable-executable"],
  ["image/icns", "image/x-icns"],
  ["video/matroska", "video/x-matroska"],
  ["audio/x-musepack", "audio/musepack"],
  ["video/MP1S", "video/mpeg"],
  ["video/MP2P", "video/mpeg"],
  ["application/x-nintendo-nes-rom", "application/vnd.nintendo.snes.rom"],
  ["application/vnd.rn-realmedia", "application/vnd.rn-realmedia-vbr"],
  ["application/rtf", "text/rtf"],
  ["application/x-sqlite3", "application/vnd.sqlite3"],
  ["audio/x-voc", "audio/x-unknown"],
  ["image/apng", "image/vnd.mozilla.apng"],
  ["application/vnd.rar", "application/x-rar-compressed"]
])
