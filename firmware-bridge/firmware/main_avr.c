/* Firmware entry point on the ATmega328P: the cartpole-rig application on the board's HAL. */
#include "app.h"

#include <avr/interrupt.h>

extern const hal board_hal;

/* Static, not on the stack: the linker's RAM figure then includes it. */
static app the_app;

int main(void) {
    app_init(&the_app, &board_hal, &robot_cartpole_rig);
    sei();
    for (;;) {
        app_poll(&the_app);
    }
}
