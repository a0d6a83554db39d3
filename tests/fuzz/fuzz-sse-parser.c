/* fuzz-sse-parser.c: libFuzzer target for the server-sent events parser
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "espy-sse-parser.h"
#include "fuzz-common.h"

/* The device web server's /events stream, as it arrives from the network:
 * the first byte sets the chunk size (a stream is split anywhere, even
 * inside a CR LF pair or a UTF-8 sequence) and the line limit is kept small
 * so that the limit paths are reached too. */
int
LLVMFuzzerTestOneInput (const uint8_t *data,
                        size_t         size)
{
  g_autoptr(EspySseParser) parser = NULL;
  gsize chunk;
  gsize off = 1;

  fuzz_init_logging ();
  if (size < 1)
    return 0;
  chunk = (data[0] & 0x3F) + 1;
  parser = espy_sse_parser_new (data[0] & 0x80 ? 64 : ESPY_SSE_DEFAULT_MAX_LINE);

  while (off < size)
    {
      gsize n = MIN (chunk, size - off);
      g_autoptr(GError) error = NULL;
      EspySseEvent *event;

      if (!espy_sse_parser_feed (parser, (const char *) data + off, n, &error))
        {
          g_assert (error != NULL && error->domain == ESPY_SSE_ERROR);
          /* What the event stream does after an error: start afresh. */
          espy_sse_parser_reset (parser);
        }
      while ((event = espy_sse_parser_pop (parser)) != NULL)
        {
          g_assert (event->event != NULL);
          g_assert (event->retry >= -1);
          espy_sse_event_free (event);
        }
      off += n;
    }
  return 0;
}
