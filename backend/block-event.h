/* block-event.h: one block device event and what it changes in the store:
 * the device judged with its relatives (a partition's disk, a dm device's
 * slaves; upstream re-runs itself through udevadm for each), each judged
 * device's entry written, kept or withdrawn, all in one store update (one
 * trigger), and the dm slave cache a remove event needs, kept in the
 * runtime dir. Used by the udev helpers and the resident monitor. */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

#include "blockdev.h"
#include "reason.h"
#include "store.h"

struct block_decision;

/* Said about what an event did (withdrawn because..., kept because...),
 * not failures: those come back with the result. */
typedef void (*block_note_fn)(const struct reason *note, void *userdata);

struct block_event {
        struct store *store;            /* set by the caller (open it with store_open) */
        struct blockdev_context ctx;
        block_note_fn note;
        void *note_userdata;
        struct block_decision *decisions;
        size_t n_decisions, decisions_allocated;
        dev_t *judged;                  /* devices judged since the last update: once is enough */
        size_t n_judged, judged_allocated;
        bool resync;                    /* entries not decided on are stale */
        size_t n_written, n_stale;      /* of the last update: entries written, and dropped (stale or withdrawn) */
};

void block_event_init(struct block_event *ev, struct store *store, block_note_fn note, void *userdata);
/* Judge with MOUNTS, the caller's mount table (not read again, not freed):
 * for a resident program that keeps it current and judges again every
 * device whose use changes. */
void block_event_use_mounts(struct block_event *ev, struct mounts *mounts);
/* Frees what the event read; not the store. */
void block_event_done(struct block_event *ev);

/* add/change of BD: a dm device's slave cache renewed and the slaves it let
 * go of judged again, then BD with its disk and slaves. A device whose
 * facts cannot be read is withdrawn (unless attached), and the failure
 * returned with WHY after the update. */
int block_event_add_change(struct block_event *ev, struct blockdev *bd, struct reason *why);

/* remove of the device whose node was DEVNAME: its entry withdrawn, unless
 * the device is still there (found from DEVNAME in sysfs, whatever MAJOR
 * and MINOR said) and attached: a synthetic remove must not make dom0
 * detach it. A dm device's cached slaves are judged again and the cache
 * dropped. */
int block_event_remove(struct block_event *ev, const char *devname, struct reason *why);

/* The two halves of the above, for a caller that gathers several events
 * into one update (the monitor): judge (decisions kept in EV), then apply
 * (one store update for all of them). */
int block_event_judge(struct block_event *ev, struct blockdev *bd, struct reason *why);
/* BD judged with its whole family: its disk when it is a partition, and
 * every partition of that disk (what an attach or a mount changes). */
int block_event_judge_family(struct block_event *ev, struct blockdev *bd, struct reason *why);
int block_event_judge_removed(struct block_event *ev, const char *devname, struct reason *why);
int block_event_apply(struct block_event *ev, struct reason *why);

/* Make qubes-block-devices equal to the devices that may be offered now:
 * every block device judged (an attached one keeps its entry as it is), one
 * update writing what is missing or changed and dropping entries of devices
 * that are gone. Nothing changed, nothing written (no trigger). */
int block_event_resync(struct block_event *ev, struct reason *why);
