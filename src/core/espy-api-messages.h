/* espy-api-messages.h: the native API messages Espy speaks (api.proto,
 * compiled by protoc-c), their type ids, and packing to and from frames.
 *
 * The message structs are protobuf-c's (EspyApi__HelloRequest, ...): fill
 * one after its *_INIT macro and pack it; unpacked ones are freed with
 * espy_api_message_free(). Unknown fields are skipped when unpacking.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "api.pb-c.h"

G_BEGIN_DECLS

typedef enum {
  ESPY_API_MSG_HELLO_REQUEST                     = 1,
  ESPY_API_MSG_HELLO_RESPONSE                    = 2,
  ESPY_API_MSG_CONNECT_REQUEST                   = 3,
  ESPY_API_MSG_CONNECT_RESPONSE                  = 4,
  ESPY_API_MSG_DISCONNECT_REQUEST                = 5,
  ESPY_API_MSG_DISCONNECT_RESPONSE               = 6,
  ESPY_API_MSG_PING_REQUEST                      = 7,
  ESPY_API_MSG_PING_RESPONSE                     = 8,
  ESPY_API_MSG_DEVICE_INFO_REQUEST               = 9,
  ESPY_API_MSG_DEVICE_INFO_RESPONSE              = 10,
  ESPY_API_MSG_SUBSCRIBE_LOGS_REQUEST            = 28,
  ESPY_API_MSG_SUBSCRIBE_LOGS_RESPONSE           = 29,
  ESPY_API_MSG_GET_TIME_REQUEST                  = 36,
  ESPY_API_MSG_GET_TIME_RESPONSE                 = 37,
  ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_REQUEST  = 124,
  ESPY_API_MSG_NOISE_ENCRYPTION_SET_KEY_RESPONSE = 125,
} EspyApiMessageType;

typedef enum {
  ESPY_API_LOG_LEVEL_NONE         = 0,
  ESPY_API_LOG_LEVEL_ERROR        = 1,
  ESPY_API_LOG_LEVEL_WARN         = 2,
  ESPY_API_LOG_LEVEL_INFO         = 3,
  ESPY_API_LOG_LEVEL_CONFIG       = 4,
  ESPY_API_LOG_LEVEL_DEBUG        = 5,
  ESPY_API_LOG_LEVEL_VERBOSE      = 6,
  ESPY_API_LOG_LEVEL_VERY_VERBOSE = 7,
} EspyApiLogLevel;

/* The API version Espy announces in HelloRequest (1.10 or later works on
 * every firmware generation). */
#define ESPY_API_VERSION_MAJOR 1
#define ESPY_API_VERSION_MINOR 10

/* The protobuf-c descriptor of a message type; NULL for a type Espy does
 * not know (callers skip those). */
const ProtobufCMessageDescriptor *espy_api_message_descriptor (guint32                  type);
/* The type id of a message struct; 0 if it is none of ours. */
guint32           espy_api_message_type           (const ProtobufCMessage  *message);
/* "HelloRequest", ... or NULL for an unknown type: for logs. */
const char       *espy_api_message_type_name      (guint32                  type);

/* The protobuf bytes of MESSAGE. */
GBytes           *espy_api_message_pack           (const ProtobufCMessage  *message);
/* MESSAGE framed in plaintext (0x00 | len | type | payload), appended to OUT. */
void              espy_api_message_append_plaintext (GByteArray            *out,
                                                     const ProtobufCMessage *message);
/* MESSAGE as the plaintext of a Noise data frame (type | len | payload),
 * appended to OUT; FALSE if it is longer than 65535 bytes. */
gboolean          espy_api_message_append_noise   (GByteArray              *out,
                                                   const ProtobufCMessage  *message);
/* NULL if TYPE is unknown or DATA is not a valid message of that type
 * (see espy_api_message_descriptor() to tell them apart). */
ProtobufCMessage *espy_api_message_unpack         (guint32                  type,
                                                   const guint8            *data,
                                                   gsize                    len);
void              espy_api_message_free           (gpointer                 message);

/* A log message's bytes as text: lines can be cut mid-UTF-8, so invalid
 * sequences become U+FFFD instead of failing. */
char             *espy_api_log_message_to_string  (const EspyApi__SubscribeLogsResponse *response);

/* Short name of a log level: "ERROR", "WARN", ... "VERY_VERBOSE". */
const char       *espy_api_log_level_to_string    (EspyApiLogLevel          level);

/* The device information Espy reads: protobuf-c's struct. */
typedef EspyApi__DeviceInfoResponse EspyApiDeviceInfo;

G_DEFINE_AUTOPTR_CLEANUP_FUNC (ProtobufCMessage, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__DeviceInfoResponse, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApiDeviceInfo, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__HelloRequest, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__HelloResponse, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__ConnectRequest, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__ConnectResponse, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__SubscribeLogsRequest, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__SubscribeLogsResponse, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__GetTimeResponse, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__NoiseEncryptionSetKeyRequest, espy_api_message_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (EspyApi__NoiseEncryptionSetKeyResponse, espy_api_message_free)

G_END_DECLS
