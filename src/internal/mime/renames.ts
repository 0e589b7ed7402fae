/**
 * file-type's names for formats mimetype v1.4.13 (the version Highvolt's Go clients run) names
 * differently. Both libraries detect the same format; only the spelling differs — except where
 * noted, file-type is more specific about a container mimetype names by its container.
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
  ["application/vnd.rar", "application/x-rar-compressed"],
  ["application/vnd.ms-asf", "video/x-ms-asf"],
  ["audio/ogg; codecs=opus", "audio/ogg"],
  ["image/vnd.ms-photo", "image/jxr"],
  ["image/mj2", "video/mj2"],
  ["application/xml", "text/xml"],
  // Containers mimetype sub-types itself (see `containers`): named as its container nodes.
  ["application/x-cfb", "application/x-ole-storage"],
  ["application/x-esri-shape", "application/vnd.shx"],
  // Camera raw formats built on TIFF: mimetype stops at the TIFF header.
  ["image/x-adobe-dng", "image/tiff"],
  ["image/x-canon-cr2", "image/tiff"],
  ["image/x-nikon-nef", "image/tiff"],
  ["image/x-sony-arw", "image/tiff"]
])
