/**
 * Drive tmux from programs: create sessions, check pane health, keep a
 * session registry shared with the original bash tools.
 *
 * @module
 */
export * from "./lib/errors.ts";
