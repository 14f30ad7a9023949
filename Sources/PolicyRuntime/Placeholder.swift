import ReflexCore
