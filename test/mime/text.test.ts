/** The text classification, checked through `Mime.detect` on inputs mimetype's corpus lacks. */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as Mime from "../../src/Mime.js"

const detect = (text: string) => Effect.runPromise(Mime.detect(Uint8Array.from(text, (c) => c.charCodeAt(0))))

describe("text classification", () => {
  it.each([
    ["<!DOCTYPE html>\n<html></html>", "text/html; charset=utf-8"],
    ["\xef\xbb\xbf  <p>hi</p>", "text/html; charset=utf-8"],
    ["<pre>not html</pre>", "text/plain; charset=utf-8"],
    ["<?xml version='1.0'?><rss version='2.0'></rss>", "application/rss+xml"],
    ["<?xml version='1.0'?><svg xmlns='http://www.w3.org/2000/svg'/>", "image/svg+xml"],
    ["<!-- c --><svg xmlns=\"http://www.w3.org/2000/svg\"></svg>", "image/svg+xml"],
    ["<?xml version=\"1.0\"?>\n<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\"/>", "application/xhtml+xml"],
    ["#!/usr/bin/env python3\nprint(1)\n", "text/x-python"],
    ["#! /bin/sh\necho\n", "text/x-shellscript"],
    ["#!/bin/shell-like\n", "text/plain; charset=utf-8"],
    ["<?php echo 1; ?>", "text/x-php"],
    ["{\\rtf1\\ansi hello}", "text/rtf"],
    ["1\n00:00:01,000 --> 00:00:02,000\nHello\n", "application/x-subrip"],
    ["1\n00:00:03,000 --> 00:00:02,000\nBackwards\n", "text/plain; charset=utf-8"],
    ["WEBVTT\n\n00:01.000 --> 00:02.000\nHi\n", "text/vtt"],
    ["BEGIN:VCARD\nVERSION:3.0\nEND:VCARD\n", "text/vcard"],
    ["BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "text/calendar"],
    ["P1\n# comment\n2 2\n0 1\n1 0\n", "image/x-portable-bitmap"],
    ["P3\n0 2\n", "text/plain; charset=utf-8"],
    ["a,b\n1,2\n", "text/csv"],
    ["a,b\n1,2,3\n", "text/plain; charset=utf-8"],
    ["a,\"multi\nline\"\n1,2\n# comment\n\n3,4\n", "text/csv"],
    ["just one,line\n", "text/plain; charset=utf-8"],
    ["[1, 2, 3]", "application/json"],
    ["\"a string alone\"", "text/plain; charset=utf-8"],
    ["{\"a\" 1}", "text/plain; charset=utf-8"],
    // mimetype's scanner tolerates a trailing comma in an object; so do we.
    ["{\"a\": 1,}", "application/json"],
    ["{\"type\": \"Feature\", \"geometry\": null}", "application/geo+json"],
    ["{\"asset\": {\"version\": \"2.0\"}}", "model/gltf+json"],
    ["{\"a\":1}\n{\"a\":2}\n", "application/x-ndjson"],
    ["Received: from x\nSubject: y\n\n", "message/rfc822"],
    ["From: someone\nnot a header\n", "text/plain; charset=utf-8"]
  ])("%j → %s", async (input, mime) => {
    expect(await detect(input)).toBe(mime)
  })

  it("accepts JSON cut off by the 3072-byte read limit, as mimetype does", async () => {
    const long = `{"items": [${Array.from({ length: 1000 }, (_, i) => `{"n": ${i}}`).join(", ")}]}`
    expect(await detect(long)).toBe("application/json")
    // A shorter document is the whole file: it must be complete.
    expect(await detect(long.slice(0, 2000))).toBe("text/plain; charset=utf-8")
  })

  it("ignores a CSV line cut off by the read limit", async () => {
    const rows = Array.from({ length: 400 }, (_, i) => `${i},name ${i},"quoted, field"`).join("\n")
    expect(rows.length).toBeGreaterThan(3072)
    expect(await detect(rows)).toBe("text/csv")
  })
})
