public enum GradvizCorePlaceholder {}
