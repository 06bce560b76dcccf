package com.example.demo;

import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RestController;

@RestController
public class HelloController {
  @GetMapping("/")
  public String hello() {
    return "Hello from Spring Boot " + org.springframework.boot.SpringBootVersion.getVersion() + " on Java "
        + System.getProperty("java.version") + ", max heap " + Runtime.getRuntime().maxMemory() + "\n";
  }
}
