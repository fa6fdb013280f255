/*  cx_cmd_validate — `cxsim validate`: check scenario files, report every
 *  problem, optionally print the resolved scenario.
 */
#ifndef CX_CMD_VALIDATE_H
#define CX_CMD_VALIDATE_H

/* Runs `validate` with argv[0] = "validate". Prints "FILE: ok (...)" per
 * valid file on stdout and every diagnostic on stderr. Returns the process
 * exit status: 0 when every file is valid, 2 on invalid input (a scenario
 * or the command line). */
int cx_cmd_validate(int argc, char **argv);

#endif
