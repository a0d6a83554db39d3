/* espy-api-frame.h: ESPHome native API framing, as pure functions over byte
 * buffers, for both ends of the connection.
 *
 *   plaintext: 0x00 | varint(payload length) | varint(type) | payload
 *   Noise:     0x01 | uint16 BE length | body
 *   Noise transport plaintext: uint16 BE type | uint16 BE length | payload [| padding]
 *
 * Decoders parse incrementally: give them whatever has arrived; they say
 * INCOMPLETE until a whole frame is there, and point into the buffer.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define ESPY_API_INDICATOR_PLAINTEXT 0x00
#define ESPY_API_INDICATOR_NOISE     0x01

/* Largest payload each side accepts (wire doc, section 5). */
#define ESPY_API_CLIENT_MAX_PAYLOAD  65535
#define ESPY_API_DEVICE_MAX_PAYLOAD  32768
#define ESPY_API_ESP8266_MAX_PAYLOAD 8192

/* Varints in the plaintext header are at most 4 bytes. */
#define ESPY_API_VARINT_MAX_BYTES 4
/* Largest plaintext frame header: indicator + two varints. */
#define ESPY_API_PLAINTEXT_HEADER_MAX (1 + 2 * ESPY_API_VARINT_MAX_BYTES)
#define ESPY_API_NOISE_HEADER_LEN 3
#define ESPY_API_NOISE_MAX_BODY   65535

/* Server hello protocol byte, and the first body byte of a good handshake frame. */
#define ESPY_API_NOISE_PROTOCOL_VERSION 0x01
#define ESPY_API_NOISE_HANDSHAKE_OK     0x00

/* The reason a Noise device sends when the first byte is not 0x01. */
#define ESPY_API_BAD_INDICATOR_REASON "Bad indicator byte"

typedef enum {
  ESPY_API_FRAME_INCOMPLETE,    /* a valid beginning: wait for more bytes */
  ESPY_API_FRAME_COMPLETE,      /* one frame decoded */
  ESPY_API_FRAME_BAD_INDICATOR, /* the first byte belongs to the other framing (or none) */
  ESPY_API_FRAME_TOO_LARGE,     /* announced length above the limit given */
  ESPY_API_FRAME_MALFORMED,     /* varint longer than 4 bytes */
} EspyApiFrameStatus;

typedef struct {
  guint32       type;       /* plaintext message type; 0 for Noise frames */
  const guint8 *data;       /* payload (plaintext) or body (Noise), inside the buffer */
  gsize         len;
  gsize         frame_len;  /* bytes the whole frame took: drop them and decode again */
} EspyApiFrame;

/* Protobuf base-128 varints. encode returns the bytes written (1-5). */
gsize              espy_api_varint_encode            (guint32              value,
                                                      guint8              *out);
/* COMPLETE (with *USED), INCOMPLETE or MALFORMED (more than MAX_BYTES). */
EspyApiFrameStatus espy_api_varint_decode            (const guint8        *buf,
                                                      gsize                len,
                                                      guint                max_bytes,
                                                      guint32             *value,
                                                      gsize               *used);

void               espy_api_frame_encode_plaintext   (GByteArray          *out,
                                                      guint32              type,
                                                      const guint8        *payload,
                                                      gsize                len);
/* MAX_PAYLOAD: ESPY_API_CLIENT_MAX_PAYLOAD on the client. TOO_LARGE is
 * reported as soon as the header is complete. FRAME is set on COMPLETE. */
EspyApiFrameStatus espy_api_frame_decode_plaintext   (const guint8        *buf,
                                                      gsize                len,
                                                      gsize                max_payload,
                                                      EspyApiFrame        *frame);

/* FALSE when LEN does not fit in the 16-bit length. */
gboolean           espy_api_frame_encode_noise       (GByteArray          *out,
                                                      const guint8        *body,
                                                      gsize                len);
EspyApiFrameStatus espy_api_frame_decode_noise       (const guint8        *buf,
                                                      gsize                len,
                                                      gsize                max_body,
                                                      EspyApiFrame        *frame);

/* The plaintext inside a Noise transport frame. encode returns FALSE when
 * TYPE or LEN does not fit in 16 bits. decode returns FALSE when DATA is
 * shorter than its header says; bytes after the payload are padding. */
gboolean           espy_api_noise_message_encode     (GByteArray          *out,
                                                      guint32              type,
                                                      const guint8        *payload,
                                                      gsize                len);
gboolean           espy_api_noise_message_decode     (const guint8        *data,
                                                      gsize                len,
                                                      guint32             *type,
                                                      const guint8       **payload,
                                                      gsize               *payload_len);

/* The Noise prologue: "NoiseAPIInit" + uint16 BE length + the client hello body. */
void               espy_api_noise_prologue           (GByteArray          *out,
                                                      const guint8        *client_hello,
                                                      gsize                len);
/* Server hello body: 0x01 + name + NUL (+ MAC + NUL when MAC is not NULL). */
void               espy_api_noise_server_hello_encode (GByteArray         *out,
                                                       const char         *name,
                                                       const char         *mac);
/* FALSE unless the body starts with the protocol byte 0x01. NAME and MAC
 * are optional in the body: NULL when absent (or when the pointers are NULL). */
gboolean           espy_api_noise_server_hello_parse (const guint8        *body,
                                                      gsize                len,
                                                      char               **name,
                                                      char               **mac);
/* A handshake reject body: 0x01 + the reason, no NUL. */
void               espy_api_noise_reject_encode      (GByteArray          *out,
                                                      const char          *reason);
/* The reason of a reject body (first byte not 0x00), valid UTF-8; NULL
 * for a good handshake body. */
char              *espy_api_noise_reject_reason      (const guint8        *body,
                                                      gsize                len);

G_END_DECLS
