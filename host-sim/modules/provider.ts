/*
 * Host-sim `embedded:provider/builtin`: the ECMA-419 `device` object
 * (io classes, per-kind defaults, named pins) of the simulated board.
 * Built once, on first evaluation, from the bridge's boardSpec via the board
 * catalog (host-sim/boards.ts); the SimBoard is left on `bridge().board` so
 * the host (runner, dashboard, tests) can reach its models and pins.
 * Differences from the ESP32 build: Analog and DigitalBank are not provided.
 */
import { bridge } from "../bridge/types";
import { createBoard } from "../boards";

const host = bridge();
const { board, device } = createBoard(host.boardSpec, host.clock);
host.board = board;

export default device;
