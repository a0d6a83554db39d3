/* espy-log-buffer.h: the lines a device logged, kept in a bounded ring so
 * memory stays flat on a device that logs for days, and a filtered view of
 * them (level, search) as a GListModel of EspyLogEntry.
 *
 * Copyright 2026 The Espy authors
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "espy-log-line.h"

G_BEGIN_DECLS

/* The "log-buffer-lines" preference's default. */
#define ESPY_LOG_BUFFER_DEFAULT_MAX_LINES 100000

/* One entry: a log line, or a config dump block (a message holding "\n",
 * or a CONFIG line followed by its indented continuation lines). An
 * immutable snapshot: a buffer that extends its last entry hands out a new
 * object for it. Like GtkStringObject beside GtkStringList, the item type
 * lives with its list. */
#define ESPY_TYPE_LOG_ENTRY (espy_log_entry_get_type ())
G_DECLARE_FINAL_TYPE (EspyLogEntry, espy_log_entry, ESPY, LOG_ENTRY, GObject)

/* Arrival order, from 0, over the life of the buffer. */
guint64             espy_log_entry_get_seq        (EspyLogEntry *self);
/* Wall-clock arrival time, µs since the epoch. */
gint64              espy_log_entry_get_time       (EspyLogEntry *self);
EspyLogLevel        espy_log_entry_get_level      (EspyLogEntry *self);
/* NULL when the line had no header. */
const char         *espy_log_entry_get_tag        (EspyLogEntry *self);
guint               espy_log_entry_get_line       (EspyLogEntry *self);
const char         *espy_log_entry_get_task       (EspyLogEntry *self);
/* The message, no ANSI codes; lines of a block are joined with "\n". */
const char         *espy_log_entry_get_text       (EspyLogEntry *self);
/* Lines the entry takes when shown (1 + its "\n"s). */
guint               espy_log_entry_get_n_lines    (EspyLogEntry *self);
/* Secret ranges in the text, in bytes, in order. */
const EspyLogRange *espy_log_entry_get_secrets    (EspyLogEntry *self,
                                                   guint        *n_secrets);
/* The colour the device gave the line: SGR foreground 30..38 (0 = none),
 * and whether it was bold (ESC[1;..m). */
guint               espy_log_entry_get_colour     (EspyLogEntry *self,
                                                   gboolean     *bold);
/* "[I][wifi:123]: text" (the device's own layout, secrets masked with MASK
 * unless MASK is NULL), optionally prefixed with "HH:MM:SS.mmm ". */
char               *espy_log_entry_format         (EspyLogEntry *self,
                                                   gboolean      timestamp,
                                                   const char   *mask);
/* Just the header part "[I][wifi:123]: " (with the task, if any); "" without. */
char               *espy_log_entry_format_header  (EspyLogEntry *self);

/* Properties:
 *   max-lines  guint         >= 1; older entries are dropped past it
 *   max-level  EspyLogLevel  the view shows entries with a level <= it
 *                            (and entries without a level); default VERY_VERBOSE
 *   search     string        the view shows entries whose text or tag holds it
 *                            (ASCII case-insensitive); NULL or "" = all
 *   n-lines    guint         lines stored (all entries, not just the view)
 * The GListModel (items: EspyLogEntry) is the filtered view. Appending is
 * O(1) and emits items-changed at the end (and at 0 when the oldest entry
 * goes); a filter change emits one items-changed for the whole list. */
#define ESPY_TYPE_LOG_BUFFER (espy_log_buffer_get_type ())
G_DECLARE_FINAL_TYPE (EspyLogBuffer, espy_log_buffer, ESPY, LOG_BUFFER, GObject)

/* MAX_LINES 0 = the default. */
EspyLogBuffer *espy_log_buffer_new            (guint              max_lines);

void           espy_log_buffer_set_max_lines  (EspyLogBuffer     *self,
                                               guint              max_lines);
guint          espy_log_buffer_get_max_lines  (EspyLogBuffer     *self);
void           espy_log_buffer_set_max_level  (EspyLogBuffer     *self,
                                               EspyLogLevel       level);
EspyLogLevel   espy_log_buffer_get_max_level  (EspyLogBuffer     *self);
void           espy_log_buffer_set_search     (EspyLogBuffer     *self,
                                               const char        *search);
const char    *espy_log_buffer_get_search     (EspyLogBuffer     *self);

/* Adds a line. LINE is RAW parsed (NULL: parsed here); TIME_US 0 = now.
 * A CONFIG line whose text starts with a space, after a CONFIG entry of
 * the same tag, joins that entry. */
void           espy_log_buffer_append         (EspyLogBuffer     *self,
                                               const char        *raw,
                                               const EspyLogLine *line,
                                               gint64             time_us);
void           espy_log_buffer_clear          (EspyLogBuffer     *self);

guint          espy_log_buffer_get_n_lines    (EspyLogBuffer     *self);
/* Entries stored (filtered or not). */
guint          espy_log_buffer_get_n_entries  (EspyLogBuffer     *self);
/* Entries dropped because the buffer was full, since it was made. */
guint64        espy_log_buffer_get_n_dropped  (EspyLogBuffer     *self);

/* Every entry of the view as text, one line per line, "\n"-terminated: what
 * "copy" and "save" write. MASK as in espy_log_entry_format(). */
char          *espy_log_buffer_dup_text       (EspyLogBuffer     *self,
                                               gboolean           timestamps,
                                               const char        *mask);

G_END_DECLS
