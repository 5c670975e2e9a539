: The gas constant R used without declaring it in UNITS.
NEURON {
    SUFFIX ghk
}

ASSIGNED { celsius (degC) ktf (mV) }

INITIAL {
    ktf = (1000)*R*(celsius + 273.15)/(2*96485)
}
